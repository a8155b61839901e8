/**
 * The RxJS the framework uses, from one module. `rxjs`'s Node entry is CommonJS that requires
 * all of RxJS (~220 modules, ~90 ms of CPU on every start of a process that imports the
 * framework); the build (scripts/bundle-deps.mjs, part of `npm run build` and `npm pack`)
 * replaces this module's JavaScript with one esbuild bundle of these exports from RxJS's ES
 * module build (~25 ms). Without that step (a bare `tsc -b`) this file's plain re-export works
 * the same, only slower.
 *
 * The bundle is a copy of RxJS: Observables, Subjects and operators of an application's own
 * `rxjs` work with the framework's (RxJS recognises subscribers, subscriptions and
 * observables of other copies by their shape, as it does when two versions share a program).
 */
export { BehaviorSubject, Observable, Subject, Subscription, asyncScheduler, filter, firstValueFrom, of, share, timer } from 'rxjs';
export type { SchedulerAction, SchedulerLike, Subscriber } from 'rxjs';
