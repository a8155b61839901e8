/** Group, version and kind of an API type. The core group is the empty string. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Group, version and (plural, lower-case) resource: how a type appears in URLs. */
export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** Splits an `apiVersion` ("v1", "apps/v1") into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Joins group and version into an `apiVersion`. */
export function formatApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The GVK of an object from its `apiVersion` and `kind`. */
export function gvkOf(obj: { apiVersion?: string; kind?: string }): GroupVersionKind {
  const { group, version } = parseApiVersion(obj.apiVersion ?? '');
  return { group, version, kind: obj.kind ?? '' };
}

/** "apps/v1, Kind=Deployment" — the format Go uses in messages. */
export function gvkString(gvk: GroupVersionKind): string {
  return `${formatApiVersion(gvk.group, gvk.version)}, Kind=${gvk.kind}`;
}

/** "deployments.apps" — a group-qualified resource, as used in error messages. */
export function groupResourceString(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}
