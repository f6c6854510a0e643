namespace Flagger.Accuracy;

/// <summary>Seeded draws for the traffic simulator: Poisson arrivals, binomial splits, log-normal latencies.</summary>
internal sealed class Sampling(int seed)
{
    private readonly Random _random = new(seed);

    public double Uniform() => _random.NextDouble();

    public double Normal()
    {
        // Box-Muller; one of the pair is enough here.
        var u = 1 - _random.NextDouble();
        var v = _random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    public long Poisson(double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        if (mean > 50)
        {
            return Math.Max(0, (long)Math.Round(mean + (Math.Sqrt(mean) * Normal())));
        }

        var limit = Math.Exp(-mean);
        long count = 0;
        for (var product = _random.NextDouble(); product > limit; product *= _random.NextDouble())
        {
            count++;
        }

        return count;
    }

    public long Binomial(long n, double p)
    {
        if (n <= 0 || !(p > 0))
        {
            return 0;
        }

        if (p >= 1)
        {
            return n;
        }

        if (p > 0.5)
        {
            return n - Binomial(n, 1 - p);
        }

        var variance = n * p * (1 - p);
        if (variance > 30)
        {
            return Math.Clamp((long)Math.Round((n * p) + (Math.Sqrt(variance) * Normal())), 0, n);
        }

        // Waiting times between successes are geometric: O(np) draws.
        long successes = 0;
        double position = 0;
        // log(1 − p) without losing a tiny p to rounding (double.LogP1 is log(1 + x) computed plainly).
        var logQ = p < 1e-6 ? -p - (p * p / 2) : Math.Log(1 - p);
        while (true)
        {
            position += Math.Floor(Math.Log(1 - _random.NextDouble()) / logQ) + 1;
            if (position > n)
            {
                return successes;
            }

            successes++;
        }
    }
}
