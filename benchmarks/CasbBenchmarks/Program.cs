using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/CasbBenchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
