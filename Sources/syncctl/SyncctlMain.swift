import AdminCommands
import SyncCore

/// The `syncctl` executable: the command tree lives in `AdminCommands`. Every change a command
/// makes is kept as made by the person at this shell (`ChangeActor.shell`).
@main
struct SyncctlMain {
    static func main() async {
        await ChangeActor.$current.withValue(ChangeActor.shell) {
            await Syncctl.main()
        }
    }
}
