SyncBench.main()
