import ArgumentParser
import SpoorCommands

/// The executable: all commands live in `SpoorCommands` so tests can run them in-process.
/// (`@main` rather than top-level code: top-level code picks ArgumentParser's synchronous `main()`.)
@main
enum SpoorMain {
    static func main() async {
        await Spoor.main()
    }
}
