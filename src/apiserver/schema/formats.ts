/**
 * The string formats kube-openapi validates for custom resources. Unknown formats (and
 * number formats such as int32/int64/float/double) are accepted, as upstream does.
 */
const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
const date = /^\d{4}-\d{2}-\d{2}$/;
const uuid = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const hostname = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const ipv4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const email = /^[^\s@]+@[^\s@]+$/;
const mac = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const duration = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w))+$/;
const hexcolor = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const parts = s.split('::');
  if (parts.length > 2) return false;
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')));
  let n = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (i === groups.length - 1 && g.includes('.')) {
      if (!ipv4.test(g)) return false;
      n += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) n++;
    else return false;
  }
  return parts.length === 2 ? n < 8 : n === 8;
}

const checks: Record<string, (s: string) => boolean> = {
  'date-time': (s) => dateTime.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  datetime: (s) => checks['date-time'](s),
  date: (s) => date.test(s) && !Number.isNaN(Date.parse(s)),
  uuid: (s) => uuid.test(s),
  uuid3: (s) => uuid.test(s),
  uuid4: (s) => uuid.test(s),
  uuid5: (s) => uuid.test(s),
  hostname: (s) => hostname.test(s),
  ipv4: (s) => ipv4.test(s),
  ipv6: (s) => isIPv6(s),
  cidr: (s) => {
    const [ip, bits, extra] = s.split('/');
    if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
    return (ipv4.test(ip) && Number(bits) <= 32) || (isIPv6(ip) && Number(bits) <= 128);
  },
  email: (s) => email.test(s),
  mac: (s) => mac.test(s),
  byte: (s) => base64.test(s),
  duration: (s) => duration.test(s),
  hexcolor: (s) => hexcolor.test(s),
  uri: (s) => {
    try {
      return !!new URL(s).protocol;
    } catch {
      return false;
    }
  },
};

/** False only when the format is known and the string does not match it. */
export function checkFormat(format: string, value: string): boolean {
  const check = checks[format];
  return check ? check(value) : true;
}
