import FolioCommands

FolioMain.run()
