using System.Collections;
using System.Reflection;
using CasbCore;

namespace CasbModule.Tests.Types;

/// <summary>
/// Builds engine values whose every string carries terminal escapes, C1 controls and bidi controls, each tagged
/// with where it went in, by reflection, so that a property added to an engine type later is poisoned too.
/// </summary>
internal static class Poison
{
    /// <summary>What a hostile client puts in a header or a certificate subject: SGR, cursor movement, CR/LF, C1 CSI, BEL, DEL, bidi overrides.</summary>
    public const string Payload = "\u001b[31mAllow 200\u001b[2K\r\n\t\u009b2J\u0007\u007f\u202eevil\u202c\u2066x\u2069\u200f\u2028";

    /// <summary>The poison for the value at <paramref name="where"/>.</summary>
    public static string For(string where) => $"<{where}>{Payload}";

    /// <summary>How <see cref="For"/> looks once made safe: what a view should show.</summary>
    public static string Shown(string where) => DisplayText.Safe(For(where));

    /// <summary>
    /// A <paramref name="type"/> with every settable property and constructor parameter given a non-default value;
    /// strings are <see cref="For"/> (or, when not <paramref name="hostile"/>, just the tag).
    /// </summary>
    public static object? Make(Type type, string where, bool hostile = true, int depth = 0)
    {
        if (depth > 8)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        Type? underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Make(underlying, where, hostile, depth);
        }

        if (type == typeof(string))
        {
            // An upstream has to parse as a URI to reach the view; the path is where the hostile part goes.
            return (where.EndsWith("Upstream", StringComparison.OrdinalIgnoreCase), hostile) switch
            {
                (true, true) => "http://poison.example/p\u001b[31m%E2%80%AE" + Uri.EscapeDataString(where),
                (true, false) => "http://poison.example/" + Uri.EscapeDataString(where),
                (false, true) => For(where),
                (false, false) => $"<{where}>",
            };
        }

        if (type.IsEnum)
        {
            Array values = Enum.GetValues(type);
            return values.GetValue(values.Length - 1);
        }

        if (type == typeof(bool)) return true;
        if (type == typeof(int)) return 7;
        if (type == typeof(long)) return 7L;
        if (type == typeof(double)) return 1.5;
        if (type == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        if (type == typeof(DateTime)) return new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        if (type == typeof(TimeSpan)) return TimeSpan.FromSeconds(7);
        if (type == typeof(Guid)) return Guid.Parse("00000000-0000-0000-0000-000000000007");
        if (type == typeof(Uri)) return new Uri("http://poison.example/");

        if (type.IsArray)
        {
            Type element = type.GetElementType()!;
            Array array = Array.CreateInstance(element, 1);
            array.SetValue(Make(element, where + "[0]", hostile, depth + 1), 0);
            return array;
        }

        if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type.GetGenericArguments().Length == 1)
        {
            Type element = type.GetGenericArguments()[0];
            IList list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Make(element, where + "[0]", hostile, depth + 1));
            return type.IsAssignableFrom(list.GetType()) ? list : Activator.CreateInstance(type, list);
        }

        if (type.IsClass)
        {
            return MakeObject(type, where, hostile, depth);
        }

        // The engine's own values (AccessDecision) are filled like its classes.
        if (type.IsValueType && !type.IsPrimitive && type.Assembly == typeof(CasbCore.CasbEngine).Assembly)
        {
            return MakeObject(type, where, hostile, depth);
        }

        return Activator.CreateInstance(type);
    }

    private static object MakeObject(Type type, string where, bool hostile, int depth)
    {
        ConstructorInfo? parameterless = type.GetConstructor(Type.EmptyTypes);
        object instance;
        if (parameterless is not null)
        {
            instance = parameterless.Invoke(null);
        }
        else if (type.IsValueType)
        {
            instance = Activator.CreateInstance(type)!;
        }
        else if (type.GetConstructors().Length == 0)
        {
            // Only the engine makes one (AccessDecision.SessionControls): left unset, as a hostile input cannot set it either.
            return null!;
        }
        else
        {
            ConstructorInfo constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            instance = constructor.Invoke(constructor.GetParameters()
                .Select(p => Make(p.ParameterType, $"{where}.{p.Name}", hostile, depth + 1))
                .ToArray());
        }

        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0)
            {
                property.SetValue(instance, Make(property.PropertyType, $"{where}.{property.Name}", hostile, depth + 1));
            }
        }

        return instance;
    }
}
