// Two threads of one process joined by a PAIR socket over inproc:// (no network, no copy to the kernel):
// the main thread hands out work, a worker thread answers, each on its own socket.
using Expair;

const int Jobs = 5;
const string Endpoint = "inproc://jobs";

using var boss = new PairSocket();
boss.Bind(Endpoint); // inproc: bind before the other side connects

var worker = new Thread(() =>
{
    using var socket = new PairSocket();
    socket.Connect(Endpoint);
    while (true)
    {
        var job = socket.ReceiveString();
        if (job == "stop")
            return;
        socket.Send($"{job} squared is {int.Parse(job) * int.Parse(job)}");
    }
});
worker.Start();

for (var n = 1; n <= Jobs; n++)
{
    boss.Send(n.ToString());
    Console.WriteLine($"Worker thread answered: {boss.ReceiveString()}");
}
boss.Send("stop");
worker.Join();
Console.WriteLine("Done");
