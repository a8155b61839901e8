/**
 * The Job controller: runs pods from the template until `completions` succeeded
 * (`parallelism` at a time), or fails the Job once more than `backoffLimit` pods failed
 * (remaining pods are deleted). Pods are made from the template as they are: the
 * `batch.kubernetes.io/job-name`/`controller-uid` labels (and the legacy `job-name`/
 * `controller-uid`) come from the selector the API server's Job strategy generated
 * (pkg/registry/batch/job/strategy.go generateSelector), and the Job's pods are those it
 * controls that match `spec.selector`, as upstream's controller (pkg/controller/job/
 * job_controller.go getPodsForJob claims pods by the selector).
 * Status: active, ready, succeeded, failed, startTime, completionTime, Complete/Failed
 * conditions. The simulated kubelet lets such pods exit (see kubelet.ts annotations).
 */
import { rfc3339 } from '../api/index.js';
import {
  Controller, Job, Pod, patchStatus, setCondition,
  type PodObject, type ReconcileContext, type Reconciler, type TypedObject,
} from '../controller/index.js';
import { Expectations, isPodReady, ownedBy, podFromTemplate, selectorOf, slowStart } from './workload.js';

type JobObject = TypedObject<{
  completions?: number; parallelism?: number; backoffLimit?: number; suspend?: boolean;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
}, { conditions?: Array<{ type: string; status: string }>; startTime?: string; completionTime?: string } & Record<string, unknown>>;

const finished = (j: JobObject) => (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

@Controller({ for: Job, name: 'job', fieldManager: 'kube-controller-manager', needLeaderElection: false, owns: [Pod] })
export class JobController implements Reconciler<JobObject> {
  private readonly expectations = new Expectations();

  async reconcile(job: JobObject, ctx: ReconcileContext<JobObject>) {
    if (job.metadata.deletionTimestamp) return;
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    const sel = selectorOf(job);
    const pods = ctx.cache<PodObject>(Pod).list({ namespace: job.metadata.namespace }).filter((p) => ownedBy(job, p) && !sel.isEmpty() && sel.matches(p.metadata.labels));
    const active = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
    const completions = job.spec?.completions ?? 1;
    const parallelism = job.spec?.parallelism ?? 1;
    const backoffLimit = job.spec?.backoffLimit ?? 6;
    let outcome: 'Complete' | 'Failed' | undefined;
    if (!finished(job)) {
      if (failed > backoffLimit) {
        outcome = 'Failed';
        for (const p of active) await ctx.client.delete(Pod, p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
      } else if (succeeded >= completions) {
        outcome = 'Complete';
      } else if (!job.spec?.suspend && this.expectations.satisfied(key, (n) => ctx.cache<PodObject>(Pod).get(job.metadata.namespace, n))) {
        const want = Math.min(parallelism, completions - succeeded) - active.length;
        if (want > 0) {
          const r = await slowStart(Array.from({ length: want }, (_, i) => i), async () => {
            const pod = podFromTemplate(job, job.spec?.template);
            const created = await ctx.client.create(pod);
            this.expectations.expectCreations(key, [created.metadata.name!]);
            ctx.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
          });
          if (r.error) ctx.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${(r.error as Error).message}`);
        }
      }
    }
    await patchStatus(ctx.client, job, (o) => {
      const now = rfc3339();
      let conditions = o.status?.conditions as Parameters<typeof setCondition>[0];
      if (outcome === 'Complete') conditions = setCondition(conditions, { type: 'Complete', status: 'True' }).list;
      if (outcome === 'Failed') conditions = setCondition(conditions, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }).list;
      o.status = {
        ...o.status,
        startTime: o.status?.startTime ?? now,
        active: outcome ? 0 : active.length,
        ready: outcome ? 0 : active.filter(isPodReady).length,
        succeeded, failed,
        ...(outcome === 'Complete' ? { completionTime: now } : {}),
        ...(conditions?.length ? { conditions } : {}),
      };
    }, { optimisticLock: false });
    if (outcome === 'Complete') ctx.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    if (outcome === 'Failed') ctx.recorder.event(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
  }
}
