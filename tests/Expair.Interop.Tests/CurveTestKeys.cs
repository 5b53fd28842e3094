namespace Expair.Interop.Tests;

/// <summary>The example key pairs of libzmq's zmq_curve(7) manual page (made by its curve_keygen), in Z85.</summary>
internal static class CurveTestKeys
{
    public const string ClientPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    public const string ClientSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    public const string ServerPublic = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    public const string ServerSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
}
