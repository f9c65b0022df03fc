namespace CasbModule.Tests.Gateway;

/// <summary>Waiting for what a gateway does on its own beat (a poll of the store, a reload), without a fixed sleep.</summary>
internal static class Poll
{
    /// <summary>True once <paramref name="condition"/> holds, checked every 100 ms; false after 10 s.</summary>
    public static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
