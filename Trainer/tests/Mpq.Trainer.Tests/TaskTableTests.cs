using Mpq.Tasks;
using Mpq.Trainer;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class TaskTableTests
{
    [Test]
    public void Format_Pendulum_ListsBiasedRanges()
    {
        var text = TaskTable.Format(new PendulumSwingup());
        Assert.That(text, Does.Contain("| mass | 1 | 1.3 | 0.1 | U[1.2, 1.4] |"));
        Assert.That(text, Does.Contain("| length | 1 | 1.2 | 0.1 | U[1.1, 1.3] |"));
        Assert.That(text, Does.Contain("cos_theta, sin_theta, theta_dot"));
    }

    [Test]
    public void Format_AuthorsFormPrior_ShowsEquivalentPaperForm()
    {
        var task = new PendulumSwingup(massPrior: ParameterPrior.FromAuthors(noise: 0.5, bias: 1.0));
        Assert.That(TaskTable.Format(task), Does.Contain("| mass | 1 | 2 | 1 | U[1, 3] |"));
    }
}
