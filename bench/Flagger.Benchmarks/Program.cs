using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

// --smoke runs every benchmark method once in-process: CI checks they work; figures come from full runs.
if (args.Contains("--smoke"))
{
    var failures = 0;
    foreach (var type in typeof(Program).Assembly.GetTypes().Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)))
    {
        var instance = Activator.CreateInstance(type)!;
        type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<GlobalSetupAttribute>() is not null)?.Invoke(instance, null);
        foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
        {
            try
            {
                var result = method.Invoke(instance, null);
                if (result is Task task)
                {
                    await task;
                }

                Console.WriteLine($"ok   {type.Name}.{method.Name}");
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"FAIL {type.Name}.{method.Name}: {e.InnerException?.Message ?? e.Message}");
            }
        }

        type.GetMethods().FirstOrDefault(m => m.GetCustomAttribute<GlobalCleanupAttribute>() is not null)?.Invoke(instance, null);
    }

    return failures == 0 ? 0 : 1;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
