namespace Flagger.Tests;

public class T1
{
    [Fact]
    public void Works() => Assert.True(true);
}
