"""Reading a case: the case row, its stage state, what is missing to take each exit."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..errors import (
    NotFound,
    Unmet,
)
from ..models import (
    Case,
)
from ..requirements import StageState
from .frame import (
    OperationFrame,
)


class CaseQueries(OperationFrame):

    def get(self, session: Session, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(case_id=case_id)
        return case

    def stage_state(self, session: Session, case: Case) -> StageState:
        return StageState.load(session, case, self.library.revision(case.revision_id).pathway, self.clock(),
                               library=self.library)

    def missing(self, case_id: int) -> dict[str, list[Unmet]]:
        """For each exit of the current stage, what is missing to take it (empty list: it can be taken)."""
        with self.session_factory() as session:
            case = self.get(session, case_id)
            state = self.stage_state(session, case)
            return {e.id: state.unmet_for(e) for e in state.stage.exits}
