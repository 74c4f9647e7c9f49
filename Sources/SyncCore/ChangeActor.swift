#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Who made a change: `shell:USER` for `syncctl`, an operator's certificate name for the city's
/// console, a clerk's for the county's. Kept with each change in the change log, carried on the
/// wire (`WireChange.actor`), and shown by `explain` and the consoles.
///
/// The writer that knows who is acting binds it for the work it does
/// (`ChangeActor.$current.withValue(name) { ... }`); every write transaction then attributes the
/// change-log entries it made. A write with no actor bound (the daemon applying a sync, a raw
/// `sqlite3` shell) leaves them unattributed.
public enum ChangeActor {
    /// The actor of the writes made by the current task or thread, if any.
    @TaskLocal public static var current: String?

    /// The longest actor kept, in bytes (the city's decision log allows the same).
    public static let maxBytes = 200

    /// Whether `actor` may be kept: 1 to `maxBytes` bytes of UTF-8 with no control character.
    public static func isValid(_ actor: String) -> Bool {
        !actor.isEmpty && actor.utf8.count <= maxBytes && !actor.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The person at this shell: `shell:USER`. Under `sudo -u county-sync`, USER is the person
    /// who ran sudo (`SUDO_USER`), not the service account the command runs as.
    public static let shell: String = {
        let environment = ProcessInfo.processInfo.environment
        if let person = environment["SUDO_USER"], !person.isEmpty, isValid("shell:\(person)") { return "shell:\(person)" }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return "shell:\(String(cString: name))" }
        return "shell:uid \(geteuid())"
    }()
}
