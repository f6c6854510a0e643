using System.Net;
using System.Text;

namespace Flagger.Testing.Receivers;

public sealed class RecordingReceiverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keeps_every_request_and_answers_200_by_default()
    {
        await using var receiver = await RecordingReceiver.StartAsync(Ct);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url("/hooks/gate?token=t1"))
        {
            Content = new StringContent("""{"name":"podinfo"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "abc");

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(receiver.At("/hooks/gate"));
        Assert.Equal(("POST", "?token=t1", "Bearer abc", "application/json; charset=utf-8"), (received.Method, received.Query, received.Authorization, received.ContentType));
        Assert.Equal("podinfo", received.Json().GetProperty("name").GetString());
    }

    [Fact]
    public async Task Path_rules_apply_the_given_number_of_times_before_queued_answers_and_the_default()
    {
        await using var receiver = await RecordingReceiver.StartAsync(Ct);
        receiver.AnswerAt("/flaky", new ReceiverAnswer(503, "warming up"), times: 2);
        receiver.Answer(new ReceiverAnswer(418, "queued"));
        using var http = new HttpClient();

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.PostAsync(receiver.Url("/flaky/x"), null, Ct);
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([503, 503, 418, 200], statuses);
    }

    [Fact]
    public async Task An_echoing_answer_repeats_the_request_and_a_refused_address_refuses()
    {
        await using var receiver = await RecordingReceiver.StartAsync(Ct);
        receiver.AnswerAt("/", new ReceiverAnswer(500, "bad") { EchoRequest = true });
        using var http = new HttpClient();

        using var response = await http.PostAsync(receiver.Url("/chat/secret-path?sig=s1"), new StringContent("hello"), Ct);

        Assert.Equal("bad for POST /chat/secret-path?sig=s1 (Authorization: ): hello", await response.Content.ReadAsStringAsync(Ct));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(RecordingReceiver.RefusedAddress(), Ct));
    }
}
