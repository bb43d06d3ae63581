package catalog

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// View mirrors sql.ViewDefinition.
type View struct {
	Name                string `json:"name"`
	TextDefinition      string `json:"text_definition"`
	CreateViewStatement string `json:"create_view_statement"`
	SqlMode             string `json:"sql_mode"`
	SchemaName          string `json:"schema_name,omitempty"`
}

// ViewFromSQL converts a GMS view definition.
func ViewFromSQL(v sql.ViewDefinition) View {
	return View{
		Name:                v.Name,
		TextDefinition:      v.TextDefinition,
		CreateViewStatement: v.CreateViewStatement,
		SqlMode:             v.SqlMode,
		SchemaName:          v.SchemaName,
	}
}

// ViewDefinition converts the view back into its GMS form.
func (v View) ViewDefinition() sql.ViewDefinition {
	return sql.ViewDefinition{
		Name:                v.Name,
		TextDefinition:      v.TextDefinition,
		CreateViewStatement: v.CreateViewStatement,
		SqlMode:             v.SqlMode,
		SchemaName:          v.SchemaName,
	}
}

// Trigger mirrors sql.TriggerDefinition.
type Trigger struct {
	Name            string    `json:"name"`
	CreateStatement string    `json:"create_statement"`
	CreatedAt       time.Time `json:"created_at"`
	SqlMode         string    `json:"sql_mode"`
	SchemaName      string    `json:"schema_name,omitempty"`
}

// TriggerFromSQL converts a GMS trigger definition.
func TriggerFromSQL(t sql.TriggerDefinition) Trigger {
	return Trigger{
		Name:            t.Name,
		CreateStatement: t.CreateStatement,
		CreatedAt:       t.CreatedAt,
		SqlMode:         t.SqlMode,
		SchemaName:      t.SchemaName,
	}
}

// TriggerDefinition converts the trigger back into its GMS form.
func (t Trigger) TriggerDefinition() sql.TriggerDefinition {
	return sql.TriggerDefinition{
		Name:            t.Name,
		CreateStatement: t.CreateStatement,
		CreatedAt:       t.CreatedAt,
		SqlMode:         t.SqlMode,
		SchemaName:      t.SchemaName,
	}
}

// Procedure mirrors sql.StoredProcedureDetails.
type Procedure struct {
	Name            string    `json:"name"`
	CreateStatement string    `json:"create_statement"`
	CreatedAt       time.Time `json:"created_at"`
	ModifiedAt      time.Time `json:"modified_at"`
	SqlMode         string    `json:"sql_mode"`
	SchemaName      string    `json:"schema_name,omitempty"`
}

// ProcedureFromSQL converts GMS stored procedure details.
func ProcedureFromSQL(p sql.StoredProcedureDetails) Procedure {
	return Procedure{
		Name:            p.Name,
		CreateStatement: p.CreateStatement,
		CreatedAt:       p.CreatedAt,
		ModifiedAt:      p.ModifiedAt,
		SqlMode:         p.SqlMode,
		SchemaName:      p.SchemaName,
	}
}

// StoredProcedureDetails converts the procedure back into its GMS form.
func (p Procedure) StoredProcedureDetails() sql.StoredProcedureDetails {
	return sql.StoredProcedureDetails{
		Name:            p.Name,
		CreateStatement: p.CreateStatement,
		CreatedAt:       p.CreatedAt,
		ModifiedAt:      p.ModifiedAt,
		SqlMode:         p.SqlMode,
		SchemaName:      p.SchemaName,
	}
}

// Event mirrors sql.EventDefinition.
type Event struct {
	Name                 string    `json:"name"`
	EventBody            string    `json:"event_body"`
	TimezoneOffset       string    `json:"timezone_offset"`
	Status               string    `json:"status"`
	Definer              string    `json:"definer"`
	SqlMode              string    `json:"sql_mode"`
	CreatedAt            time.Time `json:"created_at"`
	LastAltered          time.Time `json:"last_altered"`
	LastExecuted         time.Time `json:"last_executed"`
	Comment              string    `json:"comment"`
	OnCompletionPreserve bool      `json:"on_completion_preserve"`
	HasExecuteAt         bool      `json:"has_execute_at"`
	ExecuteAt            time.Time `json:"execute_at"`
	ExecuteEvery         string    `json:"execute_every"`
	Starts               time.Time `json:"starts"`
	HasEnds              bool      `json:"has_ends"`
	Ends                 time.Time `json:"ends"`
}

// EventFromSQL converts a GMS event definition.
func EventFromSQL(e sql.EventDefinition) Event {
	return Event{
		Name:                 e.Name,
		EventBody:            e.EventBody,
		TimezoneOffset:       e.TimezoneOffset,
		Status:               e.Status,
		Definer:              e.Definer,
		SqlMode:              e.SqlMode,
		CreatedAt:            e.CreatedAt,
		LastAltered:          e.LastAltered,
		LastExecuted:         e.LastExecuted,
		Comment:              e.Comment,
		OnCompletionPreserve: e.OnCompletionPreserve,
		HasExecuteAt:         e.HasExecuteAt,
		ExecuteAt:            e.ExecuteAt,
		ExecuteEvery:         e.ExecuteEvery,
		Starts:               e.Starts,
		HasEnds:              e.HasEnds,
		Ends:                 e.Ends,
	}
}

// EventDefinition converts the event back into its GMS form.
func (e Event) EventDefinition() sql.EventDefinition {
	return sql.EventDefinition{
		Name:                 e.Name,
		EventBody:            e.EventBody,
		TimezoneOffset:       e.TimezoneOffset,
		Status:               e.Status,
		Definer:              e.Definer,
		SqlMode:              e.SqlMode,
		CreatedAt:            e.CreatedAt,
		LastAltered:          e.LastAltered,
		LastExecuted:         e.LastExecuted,
		Comment:              e.Comment,
		OnCompletionPreserve: e.OnCompletionPreserve,
		HasExecuteAt:         e.HasExecuteAt,
		ExecuteAt:            e.ExecuteAt,
		ExecuteEvery:         e.ExecuteEvery,
		Starts:               e.Starts,
		HasEnds:              e.HasEnds,
		Ends:                 e.Ends,
	}
}
