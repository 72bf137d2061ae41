// The SQLite index (SPEC §6) lives here.
enum FolioIndexModule {}
