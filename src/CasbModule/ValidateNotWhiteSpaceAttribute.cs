using System.Management.Automation;

namespace CasbModule;

/// <summary>
/// Refuses a blank (empty or white-space) string, or such an element of an array, at parameter binding: the error is
/// PowerShell's ParameterArgumentValidationError. PowerShell 7.4's ValidateNotNullOrWhiteSpace is not in the
/// PowerShellStandard 5.1 reference the module builds against.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateNotWhiteSpaceAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        if (element is null || (element is PSObject wrapped ? wrapped.BaseObject : element) is string text && string.IsNullOrWhiteSpace(text))
        {
            throw new ValidationMetadataException("The argument is null, empty or white space. Supply a user name.");
        }
    }
}
