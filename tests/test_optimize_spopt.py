"""Our MCLP / LSCP optima equal PySAL spopt's on spopt's own San Francisco instance.

The instance ships inside spopt's package (``spopt/tests/test_locate/data``): network distances from
205 census-tract centroids to 16 candidate stores (``SF_network_distance_candidateStore_16_
censusTract_205_new.csv``) and tract populations (``SF_demand_205_centroid_uniform_weight.csv``,
column ``POP2000``), as used by spopt's ``TestRealWorldLSCP`` / ``TestRealWorldMCLP``.
spopt and PuLP are test-only dependencies; spopt is solved with an exact solver (PuLP's HiGHS if
available, else CBC) and no time limit.
"""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pytest
import scipy.sparse as sp

from siteplan.errors import InfeasibleError
from siteplan.optimize import maximize_coverage, minimize_sites

spopt = pytest.importorskip("spopt", reason="spopt (test-only dependency) is not installed")
pulp = pytest.importorskip(
    "pulp", reason="pulp (test-only dependency, spopt's solver layer) is not installed"
)
pd = pytest.importorskip("pandas")
from spopt.locate import LSCP, MCLP

DATA = resources.files("spopt") / "tests" / "test_locate" / "data"


@pytest.fixture(scope="module")
def sf():
    dist_csv = DATA / "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
    demand_csv = DATA / "SF_demand_205_centroid_uniform_weight.csv"
    if not (dist_csv.is_file() and demand_csv.is_file()):
        pytest.skip("this spopt build does not ship its San Francisco test data")
    nd = pd.read_csv(dist_csv, dtype={"DestinationName": str})
    piv = nd.pivot_table(values="distance", index="DestinationName", columns="name")
    demand = pd.read_csv(demand_csv, dtype={"NAME": str})
    assert piv.shape == (205, 16)
    # align tract populations to the distance rows by tract name
    pop = demand.set_index("NAME").loc[piv.index.astype(str), "POP2000"].to_numpy(dtype=float)
    return piv.to_numpy(), pop


def _solver():
    if "HiGHS" in pulp.listSolvers(onlyAvailable=True):
        return pulp.HiGHS(msg=False)
    return pulp.PULP_CBC_CMD(msg=False)


def _spopt_mclp(cost, w, radius, p) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MCLP.from_cost_matrix(cost, w, radius, p_facilities=p).solve(_solver())
    assert m.problem.status == pulp.LpStatusOptimal
    return float(pulp.value(m.problem.objective))


def _spopt_lscp(cost, radius) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LSCP.from_cost_matrix(cost, radius).solve(_solver())
    assert m.problem.status == pulp.LpStatusOptimal
    return float(pulp.value(m.problem.objective))


@pytest.mark.parametrize("radius_m", [1000.0, 2000.0, 5000.0])
@pytest.mark.parametrize("p", [2, 4, 8])
def test_mclp_matches_spopt(sf, radius_m, p):
    cost, pop = sf
    A = sp.csr_array(cost <= radius_m)
    ours = maximize_coverage(A, pop, p, mip_rel_gap=0.0)
    assert ours.status == "optimal"
    assert ours.covered_weight == pytest.approx(_spopt_mclp(cost, pop, radius_m, p), rel=1e-9)
    assert len(ours.selected) <= p


@pytest.mark.parametrize("radius_m", [5000.0, 6000.0, 8000.0])
def test_lscp_matches_spopt(sf, radius_m):
    cost, _ = sf
    A = sp.csr_array(cost <= radius_m)
    ours = minimize_sites(A, np.ones(A.shape[0]), 1.0, mip_rel_gap=0.0)
    assert ours.status == "optimal"
    assert ours.objective == _spopt_lscp(cost, radius_m)
    assert ours.covered_weight == A.shape[0]


def test_lscp_infeasible_radius_raises(sf):
    cost, _ = sf
    A = sp.csr_array(cost <= 20.0)  # spopt's own infeasibility case (radius 20 m)
    with pytest.raises(InfeasibleError, match="unreachable"):
        minimize_sites(A, np.ones(A.shape[0]), 1.0)
