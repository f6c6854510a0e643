using Flagger.LoadTester;

var app = LoadTesterHost.Build(args);
if (!args.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)))
{
    app.Urls.Add("http://0.0.0.0:8080");
}

await app.RunAsync();
