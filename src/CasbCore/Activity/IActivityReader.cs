namespace CasbCore.Activity;

/// <summary>Reads activity back for Get-CasbActivity, with the filters pushed as far down as the store allows.</summary>
public interface IActivityReader
{
    /// <summary>The records that match <paramref name="query"/>, newest first, at most <see cref="ActivityQuery.First"/>; lazy.</summary>
    IEnumerable<ActivityRecord> Read(ActivityQuery query);
}
