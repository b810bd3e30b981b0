import Foundation

/// User + system CPU time of this process so far. (Its own file: a file that also imports Investigation sees
/// `timespec` through GRDB's CoreFoundation and refuses it without importing that module.)
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
