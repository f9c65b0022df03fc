namespace CasbGateway.SessionControl;

/// <summary>
/// Thrown by <see cref="MultipartUploadStream"/> to whoever reads the body (YARP's request copy) when a part is
/// blocked or the body cannot be read unambiguously: the read fails, so the upstream request is aborted before it
/// is complete and before any byte of the refused part is sent.
/// </summary>
internal sealed class UploadRefusedException : IOException
{
    public UploadRefusedException(string message)
        : base(message)
    {
    }
}
