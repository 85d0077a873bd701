/** Every path the scheduler answers; a process hosting several services sends these here and the rest elsewhere. */
const SCHEDULER_PATH =
  /^\/(?:xrpc\/(?:com\.atproto\.repo\.(?:createRecord|putRecord|deleteRecord|applyWrites|uploadBlob)|dev\.sundial\.scheduler\.[A-Za-z]+)$|oauth\/|triggers\/|blob$)/

export function isSchedulerPath(path: string): boolean {
  return SCHEDULER_PATH.test(path)
}
