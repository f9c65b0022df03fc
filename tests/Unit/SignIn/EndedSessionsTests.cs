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
}
