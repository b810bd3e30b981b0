import SpoorCommands

await Spoor.main()
