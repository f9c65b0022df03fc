using System.Text;
using System.Xml.Linq;
using CasbCore.Store;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace CasbGateway.SignIn;

/// <summary>
/// The data-protection key ring in a database store's shared blobs (<c>keys/&lt;name&gt;.xml</c>), so that every
/// gateway on the store reads the session cookies and sign-in state the others wrote. A key is added once and never
/// changed (data protection revokes by adding a revocation element), so a name that exists is kept.
/// </summary>
internal sealed class StoreKeyRepository(IConfigurationStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var elements = new List<XElement>();
        foreach (string name in store.ListBlobs(StoreBlobNames.KeysFolder))
        {
            if (store.ReadBlob(name) is { } content)
            {
                elements.Add(XElement.Parse(Encoding.UTF8.GetString(content)));
            }
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        string safe = new(friendlyName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        string name = $"{StoreBlobNames.KeysFolder}{(safe.Length == 0 ? Guid.NewGuid().ToString("N") : safe)}.xml";
        byte[] content = Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting));
        if (!store.TryAddBlob(name, content))
        {
            store.TryAddBlob($"{StoreBlobNames.KeysFolder}{safe}-{Guid.NewGuid():N}.xml", content);
        }
    }
}
