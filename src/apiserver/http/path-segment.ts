/**
 * Names that must stay one path segment. A name of `.` or `..`, or one holding `/` or `%`,
 * would name another path once a client, proxy or this server's own parsing resolved it: a
 * DELETE of `configmaps/.` becomes a delete of the whole collection, `secrets/%2e%2e` a delete
 * of the namespace. Upstream refuses them wherever a name becomes a storage key
 * (apimachinery's IsValidPathSegmentName in the registry's key functions), with this wording.
 */
import { newBadRequest } from '../../api/index.js';
import type { ResourcePath } from './request.js';

const NAME_MAY_NOT_BE = ['.', '..'];
const NAME_MAY_NOT_CONTAIN = ['/', '%'];

/** Upstream's IsValidPathSegmentName: what is wrong with `name` as a path segment (empty: nothing). */
export function pathSegmentProblems(name: string): string[] {
  if (NAME_MAY_NOT_BE.includes(name)) return [`may not be '${name}'`];
  return NAME_MAY_NOT_CONTAIN.filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/**
 * 400 for a request URL whose (decoded) namespace or name is not a valid path segment, as
 * upstream's key functions answer (`Name parameter invalid: ".": may not be '.'`; the
 * namespace gets the same form). Subresource and resource segments need no check here: no
 * type or subresource has such a name, so they end in 404.
 */
export function checkPathSegments(p: ResourcePath): void {
  checkSegment('Namespace', p.namespace);
  checkSegment('Name', p.name);
}

function checkSegment(what: string, value: string | undefined): void {
  // the common case, a plain name, allocates nothing
  if (value === undefined || (value !== '.' && value !== '..' && !value.includes('/') && !value.includes('%'))) return;
  const problems = pathSegmentProblems(value);
  if (problems.length) throw newBadRequest(`${what} parameter invalid: ${JSON.stringify(value)}: ${problems.join(';')}`);
}
