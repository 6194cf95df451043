namespace ElfActors.Host.Doctor;

/// <summary>How a doctor's finding weighs: <c>fail</c> needs the user's action (the exit code says so).</summary>
public enum DoctorLevel
{
    Ok,
    Info,
    Warn,
    Fail,
}

/// <summary>One line of `elf doctor`: what was checked, what was found, and how to fix it when it needs fixing.</summary>
public sealed record DoctorCheck(string Name, DoctorLevel Level, string Message, string? Fix = null)
{
    public static DoctorCheck Ok(string name, string message) => new(name, DoctorLevel.Ok, message);
    public static DoctorCheck Info(string name, string message, string? fix = null) => new(name, DoctorLevel.Info, message, fix);
    public static DoctorCheck Warn(string name, string message, string fix) => new(name, DoctorLevel.Warn, message, fix);
    public static DoctorCheck Fail(string name, string message, string fix) => new(name, DoctorLevel.Fail, message, fix);

    public string LevelWord => Level switch
    {
        DoctorLevel.Ok => "ok",
        DoctorLevel.Info => "info",
        DoctorLevel.Warn => "warn",
        _ => "fail",
    };
}
