using Mpq.Controller.Onnx;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary>Hot reload as the Controller's console and file watcher use it: only a good Q file is handed over.</summary>
[TestFixture]
public class QReloaderTests
{
    private readonly PendulumSwingup _task = new();
    private readonly List<OnnxTerminalCost> _offered = [];
    private QFiles _files = null!;

    [SetUp]
    public void SetUp() => _files = new QFiles();

    [TearDown]
    public void TearDown()
    {
        lock (_offered)
        {
            _offered.ForEach(q => q.Dispose());
            _offered.Clear();
        }
        _files.Dispose();
    }

    private QReloader Reloader(string? current) => new(_task, current, 16, q => { lock (_offered) { _offered.Add(q); } }, _ => { });

    [Test]
    public void Reload_GoodFile_OffersItValidatedAndReportsOk()
    {
        var path = _files.Export(QFiles.Q());
        using var reloader = Reloader(null);
        var reply = reloader.Reload(path);
        Assert.That(reply, Does.StartWith("ok loaded"));
        Assert.That(_offered, Has.Count.EqualTo(1));
        Assert.That((reloader.CurrentPath, reloader.Reloads, reloader.Refusals), Is.EqualTo((Path.GetFullPath(path), 1, 0)));
    }

    [TestCase("malformed", "not a loadable ONNX model")]
    [TestCase("wrong width", "layout 'cos,sin,vel,extra', this controller runs 'cos_theta,sin_theta,theta_dot'")]
    [TestCase("other task", "was trained for task 'ballincup'")]
    [TestCase("missing", "does not exist")]
    public void Reload_BadFile_RefusedWithTheReasonAndNothingOffered(string kind, string reason)
    {
        var good = _files.Export(QFiles.Q());
        var bad = kind switch
        {
            "malformed" => WriteText("garbage.onnx", "this is not protobuf"),
            "wrong width" => _files.Export(QFiles.Q(4), layout: ["cos", "sin", "vel", "extra"]),
            "other task" => _files.Export(QFiles.Q(), task: "ballincup"),
            _ => Path.Combine(_files.Directory, "none.onnx"),
        };
        using var reloader = Reloader(good);
        var reply = reloader.Reload(bad);
        Assert.That(reply, Does.StartWith("error:").And.Contain(reason).And.EndWith("the Q in use is kept"));
        Assert.That(_offered, Is.Empty);
        Assert.That((reloader.CurrentPath, reloader.Refusals), Is.EqualTo((Path.GetFullPath(good), 1)));
    }

    [Test]
    public void Watch_FileReplacedOnDisk_ReloadsIt()
    {
        var path = _files.Export(QFiles.Q());
        using var reloader = Reloader(path);
        reloader.Watch();
        var fresh = _files.Export(QFiles.Q());
        File.Move(fresh, path, overwrite: true); // how a trainer publishes a new q.onnx: write, then rename over
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && reloader.Reloads == 0)
        {
            Thread.Sleep(50);
        }
        Assert.That(reloader.Reloads, Is.EqualTo(1), "the watcher reloads the replaced file once it is quiet");
        Assert.That(_offered, Has.Count.EqualTo(1));
    }

    private string WriteText(string name, string text)
    {
        var path = Path.Combine(_files.Directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
