using CasbCore;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Store;

/// <summary>
/// One store folder reached through a symbolic link (to the folder, to a folder above it, or a link to a link) is the
/// same store: Copy-CasbStore refuses it with StoreCopySameStore and leaves it as it was, as it does for a trailing
/// separator or a '..' (tests/Pester/Copy-CasbStore.Tests.ps1). Without that, -Force bumped its revision and deleted a
/// key a gateway added between the plan and the copy.
/// </summary>
public sealed class StoreCopySameFolderTests
{
    [Theory]
    [InlineData("link to the folder")]
    [InlineData("link to its parent")]
    [InlineData("link to a link")]
    public void The_same_folder_through_a_symbolic_link_is_StoreCopySameStore(string spelling)
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("casb-same-");
        try
        {
            string folder = Path.Combine(root.FullName, "real", "store");
            var store = new CasbStore(folder);
            store.Update(c => c.Groups.Add(new GroupEntry { Name = "g" }));
            long before = store.Load().Revision;
            string other = spelling switch
            {
                "link to the folder" => Directory.CreateSymbolicLink(Path.Combine(root.FullName, "link"), folder).FullName,
                "link to its parent" => Path.Combine(
                    Directory.CreateSymbolicLink(Path.Combine(root.FullName, "parent"), Path.Combine(root.FullName, "real")).FullName, "store"),
                _ => Directory.CreateSymbolicLink(
                    Path.Combine(root.FullName, "link2"), Directory.CreateSymbolicLink(Path.Combine(root.FullName, "link1"), folder).FullName).FullName,
            };
            var alias = new CasbStore(other);

            Assert.Equal("StoreCopySameStore", Assert.Throws<CasbException>(() => StoreCopy.Plan(store, alias, force: true)).ErrorId);
            Assert.Equal("StoreCopySameStore", Assert.Throws<CasbException>(() => StoreCopy.Plan(alias, store, force: true)).ErrorId);
            Assert.Equal(before, store.Load().Revision);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
