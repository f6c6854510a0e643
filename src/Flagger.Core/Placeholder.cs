namespace Flagger;

/// <summary>x</summary>
public static class Placeholder
{
}
