import AdminCommands

Syncctl.main()
