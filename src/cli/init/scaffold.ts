export interface ScaffoldOptions { dir: string; name?: string; group: string; kind: string; kubeloopVersion?: string }
export interface ScaffoldResult { dir: string; relativeDir: string; files: string[] }
export function scaffold(_o: ScaffoldOptions): ScaffoldResult {
  throw new Error('not yet');
}
