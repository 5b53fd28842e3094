using Expair.Core;

namespace Expair.Tests.Unit;

public class SocketSettingsTests
{
    [Fact]
    public void ToSettings_CopiesEveryPropertyByName()
    {
        var options = new PairSocketOptions
        {
            SendHighWaterMark = 11,
            ReceiveHighWaterMark = 12,
            ReconnectInterval = TimeSpan.FromMilliseconds(130),
            ReconnectIntervalMax = TimeSpan.FromMilliseconds(1400),
            HandshakeTimeout = TimeSpan.FromSeconds(15),
            MaxPendingHandshakes = 16,
            HeartbeatInterval = TimeSpan.FromMilliseconds(170),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(1800),
            HeartbeatTtl = TimeSpan.FromMilliseconds(1900),
            MaxMessageSize = 20,
            MaxWaitingPeers = 21,
        };
        var settings = options.ToSettings();

        var properties = typeof(SocketSettings).GetProperties().Where(p => p.Name is not ("EqualityContract" or nameof(SocketSettings.CreateMechanism) or nameof(SocketSettings.Authenticate))).ToList();
        foreach (var property in properties)
        {
            var option = typeof(PairSocketOptions).GetProperty(property.Name);
            Assert.True(option is not null, $"PairSocketOptions has no {property.Name}");
            Assert.Equal(option.PropertyType, property.PropertyType);
            var value = option.GetValue(options);
            Assert.NotEqual(option.GetValue(PairSocketOptions.Default), value); // the copy is seen, not a default
            Assert.Equal(value, property.GetValue(settings));
        }
    }
}
