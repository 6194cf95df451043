using Microsoft.Data.Sqlite;

namespace ElfActors.Core.Storage;

/// <summary>
/// One open scratch database (<see cref="ScratchDatabase"/>) for the whole of a verify, reindex or import: a single
/// transaction, its statements prepared once per text and bound by name, the file deleted when it is disposed (a file
/// a killed run left is replaced by the next <see cref="ScratchDatabase.Open"/>).
/// </summary>
internal sealed class ScratchSession : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly string _path;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public ScratchSession(SqliteConnection connection, string path)
    {
        _connection = connection;
        _path = path;
        _transaction = connection.BeginTransaction();
    }

    /// <summary>A new command in the session's transaction; the caller disposes it.</summary>
    public SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        return command;
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters) => Prepared(sql, parameters).ExecuteNonQuery();

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters) => Prepared(sql, parameters).ExecuteScalar();

    public SqliteDataReader Reader(string sql, params (string Name, object? Value)[] parameters) => Prepared(sql, parameters).ExecuteReader();

    /// <summary>A prepared command, one per statement text, its parameters bound by name.</summary>
    private SqliteCommand Prepared(string sql, (string Name, object? Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            _commands[sql] = command = Command(sql);
            foreach (var (name, _) in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        foreach (var (name, value) in parameters) command.Parameters[name].Value = value ?? DBNull.Value;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        _transaction.Dispose();
        _connection.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // left for the next run to replace
        }
    }
}
