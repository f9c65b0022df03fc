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

        Assert.True(set.Ends("s1", "idp1", "sid-a", "alice", Now.AddHours(-1), null));
        Assert.False(set.Ends("s1", "idp2", "sid-a", "alice", Now.AddHours(-1), null));
        Assert.False(set.Ends("s1", "idp1", "sid-b", "alice", Now.AddHours(-1), null));
        Assert.True(set.Ends("s2", "idp1", null, "bob", Now.AddSeconds(-1), null));
        Assert.False(set.Ends("s2", "idp1", null, "bob", Now, null));
        Assert.False(set.Ends("s2", "idp2", null, "bob", Now.AddSeconds(-1), null));
        Assert.False(set.Ends("s2", "idp1", null, null, Now.AddSeconds(-1), null));
    }

    [Fact]
    public void A_revoked_users_key_parses_back_to_the_trimmed_name_and_the_time_and_no_other_key_does()
    {
        string key = EndedSessions.UserKey("  user with spaces@contoso.com ", Now);

        Assert.Equal($"user {Now.ToUnixTimeMilliseconds()} user with spaces@contoso.com", key);
        Assert.True(EndedSessions.TryParseUserKey(key, out string user, out DateTimeOffset before));
        Assert.Equal("user with spaces@contoso.com", user);
        Assert.Equal(Now, before);
        Assert.False(EndedSessions.TryParseSubjectKey(key, out _, out _));
        Assert.False(EndedSessions.TryParseUserKey(EndedSessions.SubjectKey("idp1", "alice", Now), out _, out _));
        Assert.False(EndedSessions.TryParseUserKey("session", out _, out _));
        Assert.False(EndedSessions.TryParseUserKey("user notatime alice", out _, out _));
        Assert.False(EndedSessions.TryParseUserKey("user -5 alice", out _, out _));
        Assert.False(EndedSessions.TryParseUserKey("user 5  ", out _, out _));
        Assert.False(EndedSessions.TryParseUserKey("user 99999999999999999999 alice", out _, out _));
    }

    [Fact]
    public void Revoking_a_user_keeps_the_entry_for_the_longest_session_lifetime_and_then_prunes_it()
    {
        var store = new CasbStore(_folder);

        EndedSessions.RevokedSessions revoked = EndedSessions.RevokeUser(store, " Alice@Contoso.com ", Now.AddTicks(1234));

        Assert.Equal("Alice@Contoso.com", revoked.UserName);
        Assert.Equal(Now, revoked.RevokedBefore); // whole milliseconds, as the key holds them
        string key = EndedSessions.UserKey("Alice@Contoso.com", Now);
        Assert.Equal(Now.AddDays(30), Assert.Single(EndedSessions.Read(store), e => e.Key == key).Value);

        // Still there just inside the clock margin after the longest session would have expired, gone after it.
        EndedSessions.Record(store, "later", Now.AddDays(31), Now.AddDays(30) + EndedSessions.ClockMargin - TimeSpan.FromSeconds(1));
        Assert.Contains(key, EndedSessions.Read(store).Keys);
        EndedSessions.Record(store, "latest", Now.AddDays(31), Now.AddDays(30) + EndedSessions.ClockMargin);
        Assert.DoesNotContain(key, EndedSessions.Read(store).Keys);
    }

    [Fact]
    public void A_blank_user_name_is_refused_and_nothing_is_written()
    {
        var store = new CasbStore(_folder);

        CasbException refused = Assert.Throws<CasbException>(() => EndedSessions.RevokeUser(store, " \t", Now));

        Assert.Equal(EndedSessions.InvalidUserNameErrorId, refused.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidArgument, refused.Kind);
        Assert.Null(store.ReadBlob(EndedSessions.BlobName));
    }

    [Fact]
    public void A_logout_tokens_marker_refuses_its_replay_on_another_store_object_and_nothing_is_written()
    {
        string marker = EndedSessions.LogoutTokenKey("idp1", "jti-1");
        string first = EndedSessions.SubjectKey("idp1", "bob", Now);
        Assert.True(EndedSessions.RecordUnlessUsed(new CasbStore(_folder), first, Now.AddHours(1), marker, Now.AddMinutes(10), Now));
        byte[] written = new CasbStore(_folder).ReadBlob(EndedSessions.BlobName)!;

        // Another gateway (its own store object on the folder), a minute later: the same token would end bob's later sessions.
        Assert.False(EndedSessions.RecordUnlessUsed(
            new CasbStore(_folder), EndedSessions.SubjectKey("idp1", "bob", Now.AddMinutes(1)), Now.AddHours(1), marker, Now.AddMinutes(10), Now.AddMinutes(1)));

        Assert.Equal(written, new CasbStore(_folder).ReadBlob(EndedSessions.BlobName));
        Assert.Equal([marker, first], EndedSessions.Read(new CasbStore(_folder)).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Now.AddMinutes(10), EndedSessions.Read(new CasbStore(_folder))[marker]);

        // Another token's jti is no replay.
        Assert.True(EndedSessions.RecordUnlessUsed(
            new CasbStore(_folder), EndedSessions.ProviderSessionKey("idp1", "s"), Now.AddHours(1), EndedSessions.LogoutTokenKey("idp1", "jti-2"), Now.AddMinutes(10), Now));
    }

    [Fact]
    public void Gateways_taking_the_same_logout_token_at_the_same_time_record_it_once()
    {
        string marker = EndedSessions.LogoutTokenKey("idp1", "jti-1");
        string[] keys = Enumerable.Range(0, 12).Select(i => EndedSessions.SubjectKey("idp1", "bob", Now.AddMilliseconds(i))).ToArray();
        int taken = 0;

        // Each its own store object on the one folder, as gateways of a folder store are.
        Parallel.ForEach(keys, new ParallelOptions { MaxDegreeOfParallelism = 6 }, key =>
        {
            if (EndedSessions.RecordUnlessUsed(new CasbStore(_folder), key, Now.AddHours(1), marker, Now.AddMinutes(10), Now))
            {
                Interlocked.Increment(ref taken);
            }
        });

        Assert.Equal(1, taken);
        IReadOnlyDictionary<string, DateTimeOffset> ended = EndedSessions.Read(new CasbStore(_folder));
        Assert.Equal(2, ended.Count);
        Assert.Contains(marker, ended.Keys);
        Assert.Single(ended.Keys, k => k.StartsWith("sub ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_logout_tokens_marker_is_kept_by_plain_rewrites_until_its_expiry_and_is_no_session()
    {
        var store = new CasbStore(_folder);
        string marker = EndedSessions.LogoutTokenKey("idp1", "jti with spaces");
        Assert.True(EndedSessions.RecordUnlessUsed(store, EndedSessions.ProviderSessionKey("idp1", "s"), Now.AddHours(1), marker, Now.AddMinutes(10), Now));

        // A gateway of the version before markers writes through Record, which prunes by value only: the marker stays.
        EndedSessions.Record(store, "session", Now.AddHours(8), Now.AddMinutes(1));
        EndedSessions.RevokeUser(store, "bob", Now.AddMinutes(2));
        Assert.Contains(marker, EndedSessions.Read(store).Keys);
        var set = new CasbGateway.SignIn.EndedSessionSet(store, Microsoft.Extensions.Logging.Abstractions.NullLogger<CasbGateway.SignIn.EndedSessionSet>.Instance);
        Assert.True(set.Refresh());
        Assert.False(set.Ends("jti-free-session", "idp1", "other-sid", "alice", Now, null));
        Assert.False(EndedSessions.TryParseSubjectKey(marker, out _, out _));
        Assert.False(EndedSessions.TryParseUserKey(marker, out _, out _));

        // Past its expiry and the clock margin, it is pruned like any entry (the token itself is expired by then).
        EndedSessions.Record(store, "later", Now.AddHours(8), Now.AddMinutes(10) + EndedSessions.ClockMargin);
        Assert.DoesNotContain(marker, EndedSessions.Read(store).Keys);
    }

    [Fact]
    public void Keys_a_gateway_does_not_know_survive_its_rewrite_of_the_list_until_their_own_expiry()
    {
        // What a later version might write: this version's Record prunes by value only, as the version before it did.
        var store = new CasbStore(_folder);
        store.WriteBlob(EndedSessions.BlobName, Encoding.UTF8.GetBytes(
            "{\"ended\":{\"group 1764590400000 Vendors\":\"2026-12-02T12:00:00+00:00\",\"kind-from-the-future x\":\"2026-12-01T11:00:00+00:00\"}}"));

        EndedSessions.Record(store, "session", Now.AddHours(8), Now);
        EndedSessions.RevokeUser(store, "bob", Now);

        Assert.Equal(["group 1764590400000 Vendors", "session", EndedSessions.UserKey("bob", Now)], EndedSessions.Read(store).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_list_that_does_not_parse_refuses_a_revocation_and_is_left_as_it_was()
    {
        var store = new CasbStore(_folder);
        store.WriteBlob(EndedSessions.BlobName, Encoding.UTF8.GetBytes("[]"));

        CasbException refused = Assert.Throws<CasbException>(() => EndedSessions.RevokeUser(store, "alice", Now));

        Assert.Equal("EndedSessionsInvalid", refused.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidData, refused.Kind);
        Assert.Equal("[]", Encoding.UTF8.GetString(store.ReadBlob(EndedSessions.BlobName)!));
    }

    [Fact]
    public void A_gateway_refuses_a_revoked_users_sessions_issued_before_the_revocation_whichever_case_the_name_has()
    {
        var store = new CasbStore(_folder);
        var set = new CasbGateway.SignIn.EndedSessionSet(store, Microsoft.Extensions.Logging.Abstractions.NullLogger<CasbGateway.SignIn.EndedSessionSet>.Instance);
        EndedSessions.RevokeUser(store, "Alice@Contoso.com", Now.AddHours(-1));
        EndedSessions.RevokeUser(store, "alice@contoso.com", Now);
        Assert.True(set.Refresh());
        System.Security.Claims.ClaimsPrincipal Session(string claim, string user) =>
            new(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("sub", "s-1"), new System.Security.Claims.Claim(claim, user)], "test"));

        // The latest revocation of the user counts; the name compares ignoring case, after trimming, as policies compare it.
        Assert.True(set.EndsUser(Session("preferred_username", " ALICE@contoso.com"), "preferred_username", Now.AddMinutes(-1), null));
        Assert.False(set.EndsUser(Session("preferred_username", "alice@contoso.com"), "preferred_username", Now, null));
        Assert.False(set.EndsUser(Session("preferred_username", "bob@contoso.com"), "preferred_username", Now.AddMinutes(-1), null));
        // The user is the provider's UserClaim, as enforcement reads it: another claim naming alice is not her.
        Assert.False(set.EndsUser(Session("email", "alice@contoso.com"), "preferred_username", Now.AddMinutes(-1), null));
        Assert.True(set.EndsUser(Session("email", "alice@contoso.com"), "email", Now.AddMinutes(-1), null));
        // A user key ends no session by its id or subject.
        Assert.False(set.Ends("s1", "idp1", null, "alice@contoso.com", Now.AddMinutes(-1), null));
    }
}
