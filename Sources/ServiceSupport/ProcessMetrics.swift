import Foundation

/// The standard Prometheus `process_*` families of the running process (the aggregator's and the
/// daemon's `/metrics`).
public enum ProcessMetrics {
    /// The standard `process_*` families, read from `/proc/self` (Linux).
    public static func render(startTime: Double) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command name: state is field 3, utime 14, stime 15, rss 24.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 22, let user = Double(fields[11]), let system = Double(fields[12]), let pages = Double(fields[21]) {
                family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", "\((user + system) / ticks)")
                family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "\(Int(pages) * Int(sysconf(Int32(_SC_PAGESIZE))))")
            }
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        family("process_open_fds", "gauge", "Number of open file descriptors.", "\(fds)")
        family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", "\(startTime)")
        return out
    }
}
