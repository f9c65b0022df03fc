namespace CasbCore.Model;

/// <summary>How much of the gateway's traffic the activity log keeps record by record.</summary>
public enum ActivityVolume
{
    /// <summary>
    /// The default. Verbatim: every block, every request that session control decided (downloads, uploads, Monitor),
    /// every request that failed, and the first request of each session (a user, app and device not seen by this gateway
    /// for 30 minutes). The other allowed requests are counted per user, app, device and minute in one Summary record
    /// (count, bytes, first and last time).
    /// </summary>
    Summary = 0,

    /// <summary>Every request verbatim, one record each (about 750 bytes a request).</summary>
    Full = 1,
}
