using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Expair.Tests.Architecture;

/// <summary>
/// A type named by a reference: its namespace and top-level name (a nested type counts as its outermost
/// type), whether it is defined in the scanned assembly, and whether that top-level type is public.
/// </summary>
internal readonly record struct TypeName(string Namespace, string Name, bool Local, bool Public)
{
    public override string ToString() => Namespace.Length == 0 ? Name : $"{Namespace}.{Name}";
}

/// <summary>One use of <see cref="Target"/> by a type of the scanned assembly, and where it is.</summary>
internal readonly record struct TypeUse(TypeName Source, TypeName Target, string Where);

/// <summary>
/// Lists every type each type of an assembly refers to, read from its metadata with
/// System.Reflection.Metadata: base type, interfaces, generic constraints, fields, method and property
/// signatures, attributes, locals, catch clauses and the type, field and method operands of the IL. Compiler-generated
/// nested types (lambdas, state machines) count as their outermost type.
/// </summary>
internal static class TypeReferenceScanner
{
    public static List<TypeUse> Scan(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new Names(reader);
        var uses = new List<TypeUse>();
        foreach (var handle in reader.TypeDefinitions)
        {
            var source = names.Of(handle);
            var definition = reader.GetTypeDefinition(handle);
            var typeName = reader.GetString(definition.Name);
            void Add(ImmutableArray<TypeName> targets, string where)
            {
                foreach (var target in targets)
                    uses.Add(new TypeUse(source, target, $"{typeName} {where}"));
            }

            AddAttributes(reader, names, definition.GetCustomAttributes(), Add, "attribute");
            if (!definition.BaseType.IsNil)
                Add(names.OfEntity(definition.BaseType), "base type");
            foreach (var i in definition.GetInterfaceImplementations())
                Add(names.OfEntity(reader.GetInterfaceImplementation(i).Interface), "interface");
            AddConstraints(reader, names, definition.GetGenericParameters(), Add, "generic constraint");
            foreach (var f in definition.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                Add(field.DecodeSignature(names, null), $"field {reader.GetString(field.Name)}");
                AddAttributes(reader, names, field.GetCustomAttributes(), Add, $"field {reader.GetString(field.Name)} attribute");
            }
            foreach (var p in definition.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                var signature = property.DecodeSignature(names, null);
                Add(Flatten(signature), $"property {reader.GetString(property.Name)}");
            }
            foreach (var m in definition.GetMethods())
                ScanMethod(pe, reader, names, m, Add);
        }
        return uses;
    }

    private static void ScanMethod(PEReader pe, MetadataReader reader, Names names, MethodDefinitionHandle handle, Action<ImmutableArray<TypeName>, string> add)
    {
        var method = reader.GetMethodDefinition(handle);
        var where = $"method {reader.GetString(method.Name)}";
        add(Flatten(method.DecodeSignature(names, null)), where + " signature");
        AddAttributes(reader, names, method.GetCustomAttributes(), add, where + " attribute");
        AddConstraints(reader, names, method.GetGenericParameters(), add, where + " generic constraint");
        if (method.RelativeVirtualAddress == 0)
            return;
        var body = pe.GetMethodBody(method.RelativeVirtualAddress);
        if (!body.LocalSignature.IsNil)
        {
            foreach (var local in reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(names, null))
                add(local, where + " local");
        }
        foreach (var region in body.ExceptionRegions)
        {
            if (!region.CatchType.IsNil)
                add(names.OfEntity(region.CatchType), where + " catch");
        }
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            var opCode = ReadOpCode(ref il);
            switch (opCode.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    add(names.OfEntity(MetadataTokens.EntityHandle(il.ReadInt32())), $"{where} IL {opCode.Name}");
                    break;
                case OperandType.InlineSig:
                    var sig = reader.GetStandaloneSignature((StandaloneSignatureHandle)MetadataTokens.EntityHandle(il.ReadInt32()));
                    add(Flatten(sig.DecodeMethodSignature(names, null)), $"{where} IL {opCode.Name}");
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += OperandSize(opCode.OperandType);
                    break;
            }
        }
    }

    private static void AddConstraints(MetadataReader reader, Names names, GenericParameterHandleCollection parameters, Action<ImmutableArray<TypeName>, string> add, string where)
    {
        foreach (var p in parameters)
        {
            foreach (var c in reader.GetGenericParameter(p).GetConstraints())
                add(names.OfEntity(reader.GetGenericParameterConstraint(c).Type), where);
        }
    }

    /// <summary>An attribute names its type through its constructor (whose arguments' types count too).</summary>
    private static void AddAttributes(MetadataReader reader, Names names, CustomAttributeHandleCollection attributes, Action<ImmutableArray<TypeName>, string> add, string where)
    {
        foreach (var a in attributes)
            add(names.OfEntity(reader.GetCustomAttribute(a).Constructor), where);
    }

    private static ImmutableArray<TypeName> Flatten(MethodSignature<ImmutableArray<TypeName>> signature)
    {
        var all = signature.ReturnType;
        foreach (var p in signature.ParameterTypes)
            all = all.AddRange(p);
        return all;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static OpCode ReadOpCode(ref BlobReader il)
    {
        int value = il.ReadByte();
        if (value == 0xFE)
            value = unchecked((short)(0xFE00 | il.ReadByte()));
        return OpCodesByValue[(short)value];
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4, // InlineBrTarget, InlineI, InlineString, ShortInlineR
    };

    /// <summary>Decodes signatures into the types they name, and names the targets of tokens.</summary>
    private sealed class Names(MetadataReader reader) : ISignatureTypeProvider<ImmutableArray<TypeName>, object?>
    {
        public TypeName Of(TypeDefinitionHandle handle)
        {
            var definition = reader.GetTypeDefinition(handle);
            while (definition.IsNested)
                definition = reader.GetTypeDefinition(definition.GetDeclaringType());
            var visibility = definition.Attributes & TypeAttributes.VisibilityMask;
            return new TypeName(reader.GetString(definition.Namespace), reader.GetString(definition.Name), Local: true, Public: visibility == TypeAttributes.Public);
        }

        private TypeName Of(TypeReferenceHandle handle)
        {
            var reference = reader.GetTypeReference(handle);
            while (reference.ResolutionScope.Kind == HandleKind.TypeReference)
                reference = reader.GetTypeReference((TypeReferenceHandle)reference.ResolutionScope);
            return new TypeName(reader.GetString(reference.Namespace), reader.GetString(reference.Name), Local: false, Public: true);
        }

        /// <summary>The types a token names: a type, or a member's declaring type and signature.</summary>
        public ImmutableArray<TypeName> OfEntity(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    return [Of((TypeDefinitionHandle)handle)];
                case HandleKind.TypeReference:
                    return [Of((TypeReferenceHandle)handle)];
                case HandleKind.TypeSpecification:
                    return reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                case HandleKind.FieldDefinition:
                    var field = reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                    return field.DecodeSignature(this, null).Insert(0, Of(field.GetDeclaringType()));
                case HandleKind.MethodDefinition:
                    var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    return Flatten(method.DecodeSignature(this, null)).Insert(0, Of(method.GetDeclaringType()));
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    var arguments = spec.DecodeSignature(this, null).SelectMany(a => a);
                    return OfEntity(spec.Method).AddRange(arguments);
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    ImmutableArray<TypeName> parent = member.Parent.Kind == HandleKind.ModuleReference ? [] : OfEntity(member.Parent);
                    return member.GetKind() == MemberReferenceKind.Method
                        ? parent.AddRange(Flatten(member.DecodeMethodSignature(this, null)))
                        : parent.AddRange(member.DecodeFieldSignature(this, null));
                default:
                    return [];
            }
        }

        public ImmutableArray<TypeName> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
        public ImmutableArray<TypeName> GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<TypeName> GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<TypeName> GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableArray<TypeName> GetSZArrayType(ImmutableArray<TypeName> elementType) => elementType;
        public ImmutableArray<TypeName> GetArrayType(ImmutableArray<TypeName> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<TypeName> GetByReferenceType(ImmutableArray<TypeName> elementType) => elementType;
        public ImmutableArray<TypeName> GetPointerType(ImmutableArray<TypeName> elementType) => elementType;
        public ImmutableArray<TypeName> GetPinnedType(ImmutableArray<TypeName> elementType) => elementType;
        public ImmutableArray<TypeName> GetGenericInstantiation(ImmutableArray<TypeName> genericType, ImmutableArray<ImmutableArray<TypeName>> typeArguments) =>
            genericType.AddRange(typeArguments.SelectMany(a => a));
        public ImmutableArray<TypeName> GetGenericMethodParameter(object? context, int index) => [];
        public ImmutableArray<TypeName> GetGenericTypeParameter(object? context, int index) => [];
        public ImmutableArray<TypeName> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeName>> signature) => Flatten(signature);
        public ImmutableArray<TypeName> GetModifiedType(ImmutableArray<TypeName> modifier, ImmutableArray<TypeName> unmodifiedType, bool isRequired) =>
            unmodifiedType.AddRange(modifier);
    }
}
