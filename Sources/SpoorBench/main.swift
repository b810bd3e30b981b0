let benchArguments = Array(CommandLine.arguments.dropFirst())
if benchArguments.first?.hasPrefix("cluster") == true { try ClusterBench.main(benchArguments) } else { print("spoor-bench") }
