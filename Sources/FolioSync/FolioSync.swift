// The sync loop (SPEC §4, §5 sync/pull/push) lives here.
enum FolioSyncModule {}
