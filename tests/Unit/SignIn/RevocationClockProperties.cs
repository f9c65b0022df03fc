using System.Security.Claims;
using CasbCore.SignIn;
using CasbCore.Store;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;

namespace CasbModule.Tests.SignIn;

/// <summary>
/// Revoke-CasbSession and back-channel logouts against sign-ins, with every clock (the admin's, each gateway's) anywhere:
/// a session ends by exactly the revocations and logouts its gateway had not read when it signed it in, whatever time
/// each of them carries and whatever the session's issue time says.
/// </summary>
public sealed class RevocationClockProperties
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    // Revocation times and the session's issue time, each up to a day either side of now: clocks that disagree.
    private static readonly Gen<DateTimeOffset> Clock = Gen.Long[-86_400_000, 86_400_000].Select(ms => Now.AddMilliseconds(ms));

    [Fact]
    public void A_session_ends_by_the_revocations_its_gateway_had_not_read_at_sign_in_and_no_others()
    {
        Gen.Select(Clock.Array[0, 4], Clock.Array[0, 4], Clock, Gen.Bool).Sample((before, after, issued, byLogout) =>
        {
            // Each sample its own store: samples run on several threads at once.
            string folder = Directory.CreateTempSubdirectory("casb-revoke-clock-").FullName;
            try
            {
                var store = new CasbStore(folder);
                var gateway = new CasbGateway.SignIn.EndedSessionSet(store, NullLogger<CasbGateway.SignIn.EndedSessionSet>.Instance);
                foreach (DateTimeOffset time in before)
                {
                    End(store, time, byLogout);
                }

                string seen = gateway.Seen("idp1", "sub-1", "Alice@Contoso.com");
                foreach (DateTimeOffset time in after)
                {
                    End(store, time, byLogout);
                }

                // Another gateway of the store, which reads the list after all of them, judges the session.
                var other = new CasbGateway.SignIn.EndedSessionSet(store, NullLogger<CasbGateway.SignIn.EndedSessionSet>.Instance);
                Assert.True(other.Refresh());
                var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "sub-1"), new Claim("upn", " alice@contoso.com")], "test"));
                bool ended = other.Ends("session-1", "idp1", null, "sub-1", issued, seen) || other.EndsUser(principal, "upn", issued, seen);

                // Ended iff some revocation came after the sign-in's read: one whose time the read did not hold.
                var known = before.Select(t => t.ToUnixTimeMilliseconds()).ToHashSet();
                Assert.Equal(after.Any(t => !known.Contains(t.ToUnixTimeMilliseconds())), ended);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }, iter: 60);
    }

    private static void End(IConfigurationStore store, DateTimeOffset time, bool byLogout)
    {
        if (byLogout)
        {
            EndedSessions.Record(store, EndedSessions.SubjectKey("idp1", "sub-1", time), time.AddHours(1), Now);
        }
        else
        {
            EndedSessions.RevokeUser(store, "ALICE@contoso.com", time);
        }
    }
}
