namespace Flagger.Analysis.Judges;

/// <summary>
/// Brent's zero finder in the exact form R's <c>uniroot</c> (C <c>zeroin</c>) and Kayenta's <c>BrentSolver</c> run it.
/// The Mann-Whitney statistic is a step function of the shift, so its "root" can be a whole flat stretch; only the
/// same iteration lands on the same point of it, which is what Kayenta compatibility needs.
/// </summary>
internal static class Zeroin
{
    // DBL_EPSILON, as in the C source.
    private const double MachineEpsilon = 2.220446049250313e-16;

    public static double FindRoot(Func<double, double> f, double a, double b, double fa, double fb, double tolerance, int maxIterations = 1000)
    {
        if (fa == 0)
        {
            return a;
        }

        if (fb == 0)
        {
            return b;
        }

        double c = a, fc = fa;
        for (var iteration = 0; iteration <= maxIterations; iteration++)
        {
            var previousStep = b - a;
            if (Math.Abs(fc) < Math.Abs(fb))
            {
                (a, b, c) = (b, c, b);
                (fa, fb, fc) = (fb, fc, fb);
            }

            var toleranceNow = (2 * MachineEpsilon * Math.Abs(b)) + (tolerance / 2);
            var newStep = (c - b) / 2;
            if (Math.Abs(newStep) <= toleranceNow || fb == 0)
            {
                return b;
            }

            if (Math.Abs(previousStep) >= toleranceNow && Math.Abs(fa) > Math.Abs(fb))
            {
                double p, q;
                var cb = c - b;
                if (a == c)
                {
                    var t1 = fb / fa;
                    p = cb * t1;
                    q = 1.0 - t1;
                }
                else
                {
                    q = fa / fc;
                    var t1 = fb / fc;
                    var t2 = fb / fa;
                    p = t2 * ((cb * q * (q - t1)) - ((b - a) * (t1 - 1.0)));
                    q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0);
                }

                if (p > 0)
                {
                    q = -q;
                }
                else
                {
                    p = -p;
                }

                if (p < ((0.75 * cb * q) - (Math.Abs(toleranceNow * q) / 2)) && p < Math.Abs(previousStep * q / 2))
                {
                    newStep = p / q;
                }
            }

            if (Math.Abs(newStep) < toleranceNow)
            {
                newStep = newStep > 0 ? toleranceNow : -toleranceNow;
            }

            (a, fa) = (b, fb);
            b += newStep;
            fb = f(b);
            if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0))
            {
                (c, fc) = (a, fa);
            }
        }

        return b;
    }
}
