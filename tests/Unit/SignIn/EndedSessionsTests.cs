using System.Text;
using CasbCore;
using CasbCore.SignIn;
using CasbCore.Store;

namespace CasbModule.Tests.SignIn;

/// <summary>The store's list of sessions signed out before they expired, on a folder store.</summary>
public sealed class EndedSessionsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("casb-ended-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_sign_out_prunes_the_entries_past_their_expiry_and_the_clock_margin()
    {
        var store = new CasbStore(_folder);
        EndedSessions.Record(store, "old", Now.AddHours(-1), Now.AddHours(-2));
        EndedSessions.Record(store, "within-margin", Now.AddMinutes(-1), Now.AddHours(-2));
        EndedSessions.Record(store, "live", Now.AddHours(1), Now.AddHours(-2));
        Assert.Equal(3, EndedSessions.Read(store).Count);

        EndedSessions.Record(store, "new", Now.AddHours(8), Now);

        Assert.Equal(["live", "new", "within-margin"], EndedSessions.Read(store).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Now.AddHours(8), EndedSessions.Read(store)["new"]);
    }

    [Fact]
    public void Gateways_signing_out_at_the_same_time_each_keep_their_entry()
    {
        string[] ids = Enumerable.Range(0, 24).Select(i => $"session-{i}").ToArray();

        // Each its own store object on the one folder, as gateways of a folder store are.
        Parallel.ForEach(ids, new ParallelOptions { MaxDegreeOfParallelism = 6 }, id => EndedSessions.Record(new CasbStore(_folder), id, Now.AddHours(1), Now));

        Assert.Equal(ids.Order(StringComparer.Ordinal), EndedSessions.Read(new CasbStore(_folder)).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_list_that_does_not_parse_is_never_read_as_empty_nor_overwritten()
    {
        var store = new CasbStore(_folder);
        store.WriteBlob(EndedSessions.BlobName, Encoding.UTF8.GetBytes("{\"ended\":"));

        Assert.Equal("EndedSessionsInvalid", Assert.Throws<CasbException>(() => EndedSessions.Read(store)).ErrorId);
        Assert.Equal("EndedSessionsInvalid", Assert.Throws<CasbException>(() => EndedSessions.Record(store, "s", Now.AddHours(1), Now)).ErrorId);
        Assert.Equal("{\"ended\":", Encoding.UTF8.GetString(store.ReadBlob(EndedSessions.BlobName)!));
    }

    [Fact]
    public void The_list_is_a_shared_blob_of_the_store_so_a_copy_of_the_store_takes_it_along()
    {
        var store = new CasbStore(_folder);
        EndedSessions.Record(store, "s", Now.AddHours(1), Now);

        Assert.Contains(StoreBlobNames.EndedSessions, store.ListBlobs(""));
        Assert.Equal([StoreBlobNames.EndedSessions], store.ListBlobs("sessions/"));
    }

    [Fact]
    public void A_back_channel_logouts_entries_share_the_list_with_session_ids_and_are_pruned_alike()
    {
        var store = new CasbStore(_folder);
        string sid = EndedSessions.ProviderSessionKey("idp1", "provider-session");
        string subject = EndedSessions.SubjectKey("idp1", "user with spaces@contoso.com", Now);
        EndedSessions.Record(store, sid, Now.AddHours(1), Now);
        EndedSessions.Record(store, subject, Now.AddMinutes(1), Now);
        // A gateway of the version before them writes the list as {"ended":{...}} only: they are in that object.
        Assert.Contains("\"ended\":{\"sid idp1 provider-session\"", Encoding.UTF8.GetString(store.ReadBlob(EndedSessions.BlobName)!));

        EndedSessions.Record(store, "session", Now.AddHours(8), Now.AddMinutes(10));

        Assert.Equal(["session", sid], EndedSessions.Read(store).Keys.Order(StringComparer.Ordinal));
        Assert.True(EndedSessions.TryParseSubjectKey(subject, out string who, out DateTimeOffset before));
        Assert.Equal("idp1 user with spaces@contoso.com", who);
        Assert.Equal(Now, before);
        Assert.False(EndedSessions.TryParseSubjectKey(sid, out _, out _));
        Assert.False(EndedSessions.TryParseSubjectKey("session", out _, out _));
    }

    [Fact]
    public void A_gateway_refuses_a_session_of_an_ended_sid_or_of_a_subject_ended_after_it_was_issued()
    {
        var store = new CasbStore(_folder);
        var set = new CasbGateway.SignIn.EndedSessionSet(store, Microsoft.Extensions.Logging.Abstractions.NullLogger<CasbGateway.SignIn.EndedSessionSet>.Instance);
        set.End(EndedSessions.ProviderSessionKey("idp1", "sid-a"), Now.AddHours(1), Now);
        EndedSessions.Record(store, EndedSessions.SubjectKey("idp1", "bob", Now), Now.AddHours(1), Now);
        Assert.True(set.Refresh());

        Assert.True(set.Ends("s1", "idp1", "sid-a", "alice", Now.AddHours(-1)));
        Assert.False(set.Ends("s1", "idp2", "sid-a", "alice", Now.AddHours(-1)));
        Assert.False(set.Ends("s1", "idp1", "sid-b", "alice", Now.AddHours(-1)));
        Assert.True(set.Ends("s2", "idp1", null, "bob", Now.AddSeconds(-1)));
        Assert.False(set.Ends("s2", "idp1", null, "bob", Now));
        Assert.False(set.Ends("s2", "idp2", null, "bob", Now.AddSeconds(-1)));
        Assert.False(set.Ends("s2", "idp1", null, null, Now.AddSeconds(-1)));
    }
}
