let benchArguments = Array(CommandLine.arguments.dropFirst())
if benchArguments.first?.hasPrefix("cluster") == true {
    try ClusterBench.main(benchArguments)
} else if benchArguments.first == "addresses" {
    AddressBench.run()
} else {
    print("spoor-bench")
}
