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
            catch (CasbException ex) when (ex.ErrorId == "StoreWriteFailed" && CollidesWithAnotherBlob(store.Path, name))
            {
                // "-b/b" after a blob "-b" (or "-b" after "-b/b"): a blob and a folder of blobs cannot share a name, and
                // the store refuses the write with its error, writing nothing.
                return;
            }

            string written = Path.GetFullPath(Path.Combine([store.Path, .. name.Split('/')]));
            Assert.StartsWith(inside, written);
            Assert.Equal([1], store.ReadBlob(name));
        });
        Assert.Empty(Directory.GetFiles(_folder, "*", SearchOption.TopDirectoryOnly));
    }

    // Whether the name's file would be an existing folder, or one of its folders an existing blob file.
    private static bool CollidesWithAnotherBlob(string root, string name)
    {
        string[] parts = name.Split('/');
        return Directory.Exists(Path.Combine([root, .. parts]))
            || Enumerable.Range(1, parts.Length - 1).Any(n => File.Exists(Path.Combine([root, .. parts[..n]])));
    }
}
