using CasbCore;
using CasbCore.Store;
using CsCheck;

namespace CasbModule.Tests.Store;

/// <summary>A blob name, whatever it is, either is refused or names a file inside the store folder.</summary>
public sealed class StoreBlobNameProperties : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("casb-blobs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_blob_name_is_refused_or_stays_inside_the_store()
    {
        var store = new CasbStore(Path.Combine(_folder, "store"));
        string inside = Path.GetFullPath(store.Path) + Path.DirectorySeparatorChar;
        Gen.String[Gen.Char["./\\ab-_:~%\0 "], 0, 12].Sample(name =>
        {
            try
            {
                store.WriteBlob(name, [1]);
            }
            catch (CasbException ex) when (ex.ErrorId == "StoreBlobNameInvalid")
            {
                return;
            }

            string written = Path.GetFullPath(Path.Combine([store.Path, .. name.Split('/')]));
            Assert.StartsWith(inside, written);
            Assert.Equal([1], store.ReadBlob(name));
        });
        Assert.Empty(Directory.GetFiles(_folder, "*", SearchOption.TopDirectoryOnly));
    }
}
