import AdminCommands

/// The `syncctl` executable: the command tree lives in `AdminCommands`.
@main
struct SyncctlMain {
    static func main() async {
        await Syncctl.main()
    }
}
