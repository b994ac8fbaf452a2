r"""GAN losses as pure functions of raw critic outputs (TF-GAN style).

Every function here takes the critic's raw outputs on a real batch and a fake batch,

    t_real = V(x),  x ~ P_r,        t_fake = V(G(z)),  z ~ p(z),        shape (B,) (or (B, K))

and returns the scalar that the critic (``<name>_discriminator_loss``) or the generator
(``<name>_generator_loss``) *minimises*. Nothing here sees the critic itself; penalties that need it
live in :mod:`divergan.objectives.penalties`. Expectations are batch means.

Notation: σ is the logistic sigmoid, D = σ(V) the discriminator's probability "real", and
softplus(v) = log(1 + e^v), so that

    log D = log σ(V) = −softplus(−V),        log(1 − D) = log σ(−V) = −softplus(V).

Writing the logs through softplus keeps every loss finite for any real V (no log 0).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor
from torch.nn import functional as F

from divergan.divergences.table import FDivergence

Fn = Callable[[Tensor], Tensor]


# --- the original GAN game (GAN analysis slides, eqs. 1-2) ---------------------------------------------
def minimax_discriminator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Negated value of the GAN game for D = σ(V) (GAN analysis slides, eq. 1).

    .. math::

        \mathcal L_D = -\big(\mathbb E_{P_r} \log D(x) + \mathbb E_{P_g} \log(1 - D(x))\big)
                     = \mathbb E_{P_r} \operatorname{softplus}(-V) + \mathbb E_{P_g} \operatorname{softplus}(V)

    i.e. binary cross-entropy with labels 1 (real) and 0 (fake). Its minimum over V is attained at
    D* = p_r/(p_r + p_g), where −L_D = 2·JS(P_r‖P_g) − log 4 (eq. 2).
    """
    return F.softplus(-t_real).mean() + F.softplus(t_fake).mean()


def minimax_generator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""The saturating generator loss: the generator's part of eq. 1.

    .. math::

        \mathcal L_G = \mathbb E_{z} \log(1 - D(G(z))) = -\mathbb E_z \operatorname{softplus}(V(G(z)))

    Its gradient vanishes as D(G(z)) → 0, i.e. when the critic wins (Arjovsky & Bottou 2017, Thm 2.4).
    """
    del t_real
    return -F.softplus(t_fake).mean()


def non_saturating_generator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""The "−log D" generator loss (Sun (PaperWeekly), §4, example 4; Goodfellow et al. 2014, §3).

    .. math::

        \mathcal L_G = -\mathbb E_z \log D(G(z)) = \mathbb E_z \operatorname{softplus}(-V(G(z)))

    Same fixed point as the minimax loss, but strong gradients where D(G(z)) ≈ 0. At the optimal critic
    its gradient is that of KL(P_g‖P_r) − 2·JS(P_r‖P_g) (Arjovsky & Bottou 2017, Thm 2.5).
    """
    del t_real
    return F.softplus(-t_fake).mean()


# --- π-weighted classifier game (GAN analysis slides, eqs. 14-17) ---------------------------------------
def js_pi_discriminator_loss(t_real: Tensor, t_fake: Tensor, pi: float = 0.5) -> Tensor:
    r"""Negated π-weighted log-likelihood of the classifier q(1|x) = σ(V(x)) (GAN analysis slides, eq. 17).

    .. math::

        \mathcal L_D = -\big(\pi\,\mathbb E_{P_r}\log\sigma(V) + (1-\pi)\,\mathbb E_{P_g}\log(1-\sigma(V))\big)
                     = \pi\,\mathbb E_{P_r}\operatorname{softplus}(-V) + (1-\pi)\,\mathbb E_{P_g}\operatorname{softplus}(V)

    For Z ~ Ber(π), X | Z=1 ~ P_r, X | Z=0 ~ P_g, the optimal classifier is the posterior
    σ(V*) = π p_r / (π p_r + (1−π) p_g), and then −L_D = I(X; Z) − H(π) = JS_π(P_r‖P_g) − H(π),
    with H(π) = −π log π − (1−π) log(1−π) (eqs. 16-17).
    """
    return pi * F.softplus(-t_real).mean() + (1 - pi) * F.softplus(t_fake).mean()


def js_pi_generator_loss(t_real: Tensor, t_fake: Tensor, pi: float = 0.5) -> Tensor:
    r"""The generator's part of the π-weighted game value (GAN analysis slides, the line after eq. 17).

    .. math::

        \mathcal L_G = (1-\pi)\,\mathbb E_z \log(1 - \sigma(V(G(z)))) = -(1-\pi)\,\mathbb E_z \operatorname{softplus}(V(G(z)))

    (The seed prints the second term as E_{P_g}(1 − log q(1|x)), a typo for E_{P_g} log(1 − q(1|x)) =
    E log q(0|x), the term of eq. 17.) π = ½ gives half the saturating minimax generator loss.
    """
    del t_real
    return -(1 - pi) * F.softplus(t_fake).mean()


# --- f-GAN (GAN analysis slides, eqs. 5-7; Nowozin et al. 2016) -------------------------------------------
def fgan_discriminator_loss(
    t_real: Tensor, t_fake: Tensor, activation: Fn, conjugate_of_activation: Fn
) -> Tensor:
    r"""Negated variational lower bound of D_f with T = g_f(V) (GAN analysis slides, eqs. 5 and 7).

    .. math::

        \mathcal L_D = -\big(\mathbb E_{P_r}[g_f(V(x))] - \mathbb E_{P_g}[f^*(g_f(V(x)))]\big)

    By eq. 5 −L_D ≤ D_f(P_r‖P_g) for every V, with equality at g_f(V*) = f'(p_r/p_g) (eq. 6).

    Args:
        activation: g_f.
        conjugate_of_activation: v ↦ f*(g_f(v)), ideally in a numerically stable closed form
            (see :func:`divergan.objectives.fgan.conjugate_of_activation`).
    """
    return -(activation(t_real).mean() - conjugate_of_activation(t_fake).mean())


def fgan_saddle_generator_loss(t_real: Tensor, t_fake: Tensor, conjugate_of_activation: Fn) -> Tensor:
    r"""The generator's part of the f-GAN saddle objective (GAN analysis slides, eq. 7).

    .. math::

        \mathcal L_G = -\mathbb E_z[f^*(g_f(V(G(z))))]
    """
    del t_real
    return -conjugate_of_activation(t_fake).mean()


def fgan_alt_generator_loss(t_real: Tensor, t_fake: Tensor, activation: Fn) -> Tensor:
    r"""The f-GAN paper's alternative generator loss (Nowozin et al. 2016, §3.2).

    .. math::

        \mathcal L_G = -\mathbb E_z[g_f(V(G(z)))]

    Same fixed point as the saddle loss (both are stationary where P_g = P_r) but non-saturating; for
    the ``gan`` divergence it is exactly the −log D loss.
    """
    del t_real
    return -activation(t_fake).mean()


def fgan_generator_loss(generator: str, activation: Fn, conjugate_of_activation: Fn) -> Callable:
    """The f-GAN generator loss chosen by name: ``"saddle"`` or ``"alt"``."""
    if generator == "saddle":
        return lambda t_real, t_fake: fgan_saddle_generator_loss(t_real, t_fake, conjugate_of_activation)
    return lambda t_real, t_fake: fgan_alt_generator_loss(t_real, t_fake, activation)


def fgan_losses(fdiv: FDivergence, generator: str, conjugate_of_activation: Fn) -> tuple[Callable, Callable]:
    """(critic loss, generator loss) of the f-GAN for one table entry."""

    def critic(t_real: Tensor, t_fake: Tensor) -> Tensor:
        return fgan_discriminator_loss(t_real, t_fake, fdiv.activation, conjugate_of_activation)

    return critic, fgan_generator_loss(generator, fdiv.activation, conjugate_of_activation)


# --- least squares (Mao et al. 2017) --------------------------------------------------------------------
def lsgan_discriminator_loss(t_real: Tensor, t_fake: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    r"""LSGAN critic loss with fake label a and real label b (Mao et al. 2017, eq. 2).

    .. math::

        \mathcal L_D = \tfrac12\,\mathbb E_{P_r}(V - b)^2 + \tfrac12\,\mathbb E_{P_g}(V - a)^2

    Pointwise minimisation of p_r (V − b)² + p_g (V − a)² gives V* = (b p_r + a p_g)/(p_r + p_g);
    with a = 0, b = 1 that is D* = p_r/(p_r + p_g), the optimal GAN discriminator.
    """
    return 0.5 * ((t_real - b) ** 2).mean() + 0.5 * ((t_fake - a) ** 2).mean()


def lsgan_generator_loss(t_real: Tensor, t_fake: Tensor, c: float = 1.0) -> Tensor:
    r"""LSGAN generator loss with target c (Mao et al. 2017, eq. 2): ½ E_z (V(G(z)) − c)²."""
    del t_real
    return 0.5 * ((t_fake - c) ** 2).mean()


# --- Wasserstein (GAN analysis slides, eqs. 9-10) -------------------------------------------------------
def wasserstein_discriminator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Negated Kantorovich-Rubinstein objective (GAN analysis slides, eqs. 9-10).

    .. math::

        \mathcal L_D = \mathbb E_{P_g}[V] - \mathbb E_{P_r}[V]

    Over 1-Lipschitz V, sup (−L_D) = W_1(P_r, P_g) (eq. 9); the Lipschitz constraint comes from weight
    clipping (WGAN) or the gradient penalty (WGAN-GP), not from this loss.
    """
    return t_fake.mean() - t_real.mean()


def wasserstein_generator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""The generator's part of eq. 10: −E_z V(G(z))."""
    del t_real
    return -t_fake.mean()


# --- hinge (Lim & Ye 2017; Miyato et al. 2018) ----------------------------------------------------------
def hinge_discriminator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Hinge (SVM margin) critic loss.

    .. math::

        \mathcal L_D = \mathbb E_{P_r}\max(0, 1 - V) + \mathbb E_{P_g}\max(0, 1 + V)

    Pointwise, for V ∈ [−1, 1] the integrand is (p_r + p_g) + V (p_g − p_r), minimised at
    V* = sign(p_r − p_g) with value p_r + p_g − |p_r − p_g|; integrating, min L_D = 2 − 2·TV(P_r, P_g)
    (TV = ½∫|p_r − p_g|). Values outside [−1, 1] never help, so this is the global minimum.
    """
    return F.relu(1 - t_real).mean() + F.relu(1 + t_fake).mean()


def hinge_generator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Hinge generator loss −E_z V(G(z)) (the same as WGAN's)."""
    del t_real
    return -t_fake.mean()


# --- the relativistic pairing GAN (R3GAN: Huang et al. 2024) ------------------------------------------
def rpgan_discriminator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Relativistic pairing critic loss: real i against fake i of the paired batches.

    .. math::

        \mathcal L_D = \mathbb E_{(x_r, x_f)} \operatorname{softplus}\big(-(V(x_r) - V(x_f))\big)
                     = -\mathbb E \log \sigma\big(V(x_r) - V(x_f)\big)

    The critic is asked only whether each real sample looks more real than its partner fake; unlike the
    original loss it cannot be minimised by one threshold separating every fake (Huang et al. 2024,
    §2.1; Sun et al. 2020 show that no basin of this loss holds a mode-dropping generator).
    Batches are paired by position and must have the same shape.
    """
    return F.softplus(-(t_real - t_fake)).mean()


def rpgan_generator_loss(t_real: Tensor, t_fake: Tensor) -> Tensor:
    r"""Relativistic pairing generator loss: each fake must beat its paired real,
    :math:`\mathcal L_G = \mathbb E \operatorname{softplus}\big(-(V(x_f) - V(x_r))\big)`."""
    return F.softplus(-(t_fake - t_real)).mean()


# --- MMD on critic features (Li et al. 2017) ------------------------------------------------------------
def mmd_gan_discriminator_loss(
    t_real: Tensor, t_fake: Tensor, bandwidths: tuple[float, ...] | None = None
) -> Tensor:
    r"""Negated squared MMD between critic features φ(x) = V(x) ∈ R^K (GAN analysis slides, eqs. 11 and 13).

    .. math::

        \mathcal L_D = -\widehat{\mathrm{MMD}}^2_u\big(\{V(x_i)\}, \{V(G(z_j))\}\big)

    with the RBF kernel mixture of :func:`divergan.estimators.mmd.mmd2`: the critic looks for the
    feature map under which the two batches differ most (eq. 11).
    """
    from divergan.estimators.mmd import mmd2

    return -mmd2(_features(t_real), _features(t_fake), kernel="rbf", bandwidths=bandwidths, unbiased=True)


def mmd_gan_generator_loss(
    t_real: Tensor, t_fake: Tensor, bandwidths: tuple[float, ...] | None = None
) -> Tensor:
    r"""Squared MMD between critic features, minimised by the generator (GAN analysis slides, eq. 12)."""
    from divergan.estimators.mmd import mmd2

    return mmd2(_features(t_real), _features(t_fake), kernel="rbf", bandwidths=bandwidths, unbiased=True)


def mmd_sample_loss(
    x_real: Tensor, x_fake: Tensor, bandwidths: tuple[float, ...] | str | None = None
) -> Tensor:
    r"""Critic-free generative moment matching (GAN analysis slides, eq. 13; Li et al. 2015, Dziugaite et al. 2015).

    .. math::

        \mathcal L_G = \widehat{\mathrm{MMD}}^2_u(x_{1:n}, G(z)_{1:m}),
        \qquad k(x, y) = \frac1{|S|}\sum_{\sigma\in S} e^{-\|x-y\|^2 / 2\sigma^2}

    on samples flattened to vectors (images become (B, C·H·W)).
    """
    from divergan.estimators.mmd import mmd2

    return mmd2(x_real.flatten(1), x_fake.flatten(1), kernel="rbf", bandwidths=bandwidths, unbiased=True)


def _features(t: Tensor) -> Tensor:
    """Critic outputs as a (B, K) feature matrix ((B,) becomes (B, 1))."""
    return t.reshape(t.shape[0], -1)
